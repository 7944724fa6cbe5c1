import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTasks1764100000000 implements MigrationInterface {
  readonly name = 'CreateTasks1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "task" ("id" text PRIMARY KEY NOT NULL, "parent_id" text, "project_id" text, ` +
        `"status" text NOT NULL, "prompt" text NOT NULL, "folders" text NOT NULL, "model" text NOT NULL, ` +
        `"approval_mode" text NOT NULL, "todos" text NOT NULL, "scratchpad" text NOT NULL, ` +
        `"files_changed" text NOT NULL, "usage" text NOT NULL, "rules" text NOT NULL, ` +
        `"pending" text NOT NULL, "child_of" text, "turns" integer NOT NULL, "resumes" integer NOT NULL, ` +
        `"answer" text, "error" text, "created_at" text NOT NULL, "updated_at" text NOT NULL)`,
    );
    await queryRunner.query(`CREATE INDEX "task_created" ON "task" ("created_at")`);
    await queryRunner.query(`CREATE INDEX "task_status" ON "task" ("status")`);
    await queryRunner.query(`CREATE INDEX "task_parent" ON "task" ("parent_id")`);
    await queryRunner.query(
      `CREATE TABLE "task_message" ("seq" integer PRIMARY KEY AUTOINCREMENT NOT NULL, ` +
        `"task_id" text NOT NULL, "role" text NOT NULL, "kind" text NOT NULL, "content" text NOT NULL, ` +
        `"compacted" integer NOT NULL, "created_at" text NOT NULL)`,
    );
    await queryRunner.query(`CREATE INDEX "task_message_task" ON "task_message" ("task_id", "seq")`);
    await queryRunner.query(
      `CREATE TABLE "tool_call" ("task_id" text NOT NULL, "id" text NOT NULL, ` +
        `"message_seq" integer NOT NULL, "position" integer NOT NULL, "tool" text NOT NULL, ` +
        `"input" text NOT NULL, "status" text NOT NULL, "decision" text, "decision_source" text, ` +
        `"result_text" text, "full_result" text, "is_error" integer NOT NULL, "summary" text NOT NULL, ` +
        `"started_at" text, "finished_at" text, PRIMARY KEY ("task_id", "id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "tool_call_task" ON "tool_call" ("task_id", "message_seq", "position")`,
    );
    await queryRunner.query(
      `CREATE TABLE "approval" ("id" text PRIMARY KEY NOT NULL, "task_id" text NOT NULL, ` +
        `"tool_call_id" text NOT NULL, "tool" text NOT NULL, "input" text NOT NULL, ` +
        `"binding" text NOT NULL, "summary" text NOT NULL, "targets" text, "preview_digest" text, ` +
        `"bulk" integer NOT NULL, "status" text NOT NULL, "decided_by" text, "remember" integer NOT NULL, ` +
        `"created_at" text NOT NULL, "expires_at" text NOT NULL, "decided_at" text)`,
    );
    await queryRunner.query(`CREATE INDEX "approval_task" ON "approval" ("task_id", "created_at")`);
    await queryRunner.query(`CREATE INDEX "approval_status" ON "approval" ("status", "expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "approval"`);
    await queryRunner.query(`DROP TABLE "tool_call"`);
    await queryRunner.query(`DROP TABLE "task_message"`);
    await queryRunner.query(`DROP TABLE "task"`);
  }
}
