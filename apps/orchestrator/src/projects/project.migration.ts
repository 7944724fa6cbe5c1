import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateProjects1764200000000 implements MigrationInterface {
  readonly name = 'CreateProjects1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "project" ("id" text PRIMARY KEY NOT NULL, "name" text NOT NULL, ` +
        `"name_key" text NOT NULL, "instructions" text NOT NULL, "folders" text NOT NULL, ` +
        `"created_at" text NOT NULL, "updated_at" text NOT NULL)`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "project_name" ON "project" ("name_key")`);
    await queryRunner.query(`CREATE INDEX "task_project" ON "task" ("project_id", "created_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "task_project"`);
    await queryRunner.query(`DROP TABLE "project"`);
  }
}
