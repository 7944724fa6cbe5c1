import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Creates the start ledger; part of every service's database (see `openDatabase`). */
export class CreateServiceStart1735689600000 implements MigrationInterface {
  readonly name = 'CreateServiceStart1735689600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "service_start" (` +
        `"id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, ` +
        `"started_at" text NOT NULL, ` +
        `"pid" integer NOT NULL, ` +
        `"version" text NOT NULL)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "service_start"`);
  }
}
