import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One row per process start, kept by every service in its own database so that each one holds
 * real data from its first day and its health report can say how often it has started.
 * Column types are spelled out because test transforms do not emit decorator metadata.
 */
@Entity({ name: 'service_start' })
export class ServiceStart {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** ISO 8601, UTC. */
  @Column({ type: 'text', name: 'started_at' })
  startedAt!: string;

  @Column({ type: 'integer' })
  pid!: number;

  @Column({ type: 'text' })
  version!: string;
}
