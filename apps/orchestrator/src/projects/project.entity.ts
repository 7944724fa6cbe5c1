import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A project: a name, the person's standing instructions, and folders offered for its tasks. */
@Entity({ name: 'project' })
@Index('project_name', ['nameKey'], { unique: true })
export class ProjectRecord {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  /** The name folded for uniqueness: two projects never differ only by case. */
  @Column({ type: 'text', name: 'name_key' })
  nameKey!: string;

  @Column({ type: 'text' })
  instructions!: string;

  /** JSON array of absolute paths. */
  @Column({ type: 'text' })
  folders!: string;

  @Column({ type: 'text', name: 'created_at' })
  createdAt!: string;

  @Column({ type: 'text', name: 'updated_at' })
  updatedAt!: string;
}
