import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateFsRecords1764000000000 implements MigrationInterface {
  readonly name = 'CreateFsRecords1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "fs_task" ("task_id" text PRIMARY KEY NOT NULL, "roots" text NOT NULL, ` +
        `"opened_at" text NOT NULL, "closed_at" text)`,
    );
    await queryRunner.query(
      `CREATE TABLE "fs_journal" ("seq" integer PRIMARY KEY AUTOINCREMENT NOT NULL, ` +
        `"task_id" text NOT NULL, "op" text NOT NULL, "root" text NOT NULL, "path" text NOT NULL, ` +
        `"to_path" text, "before_kind" text NOT NULL, "before_blob" text, "before_mode" integer, ` +
        `"before_mtime_ms" real, "trash_id" text, "after_sha256" text, "after_ino" integer, ` +
        `"created_at" text NOT NULL, "undone_at" text)`,
    );
    await queryRunner.query(`CREATE INDEX "fs_journal_task" ON "fs_journal" ("task_id", "seq")`);
    await queryRunner.query(
      `CREATE TABLE "fs_trash" ("id" text PRIMARY KEY NOT NULL, "task_id" text, ` +
        `"original_path" text NOT NULL, "root" text NOT NULL, "kind" text NOT NULL, ` +
        `"files" integer NOT NULL, "bytes" integer NOT NULL, "deleted_at" text NOT NULL, ` +
        `"reason" text NOT NULL, "state" text NOT NULL)`,
    );
    await queryRunner.query(`CREATE INDEX "fs_trash_state" ON "fs_trash" ("state", "deleted_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "fs_trash"`);
    await queryRunner.query(`DROP TABLE "fs_journal"`);
    await queryRunner.query(`DROP TABLE "fs_task"`);
  }
}
