import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import {
  orchestratorTaskApprove,
  orchestratorTaskCancel,
  orchestratorTaskCreate,
  orchestratorTaskGet,
  orchestratorTaskList,
  orchestratorTaskMessage,
  type RpcResponse,
} from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import { parseBody } from '../http/zod-body.js';
import { parseAddress, parseApprovalId, parseTaskId, taskListQuerySchema } from './task-input.js';

const messageBodySchema = orchestratorTaskMessage.request.omit({ taskId: true });
const approvalBodySchema = orchestratorTaskApprove.request.pick({ decision: true, remember: true });

/** Tasks for the page (ARCHITECTURE §5): each route validates, then forwards to the orchestrator. */
@Controller('api/tasks')
export class TasksController {
  constructor(@Inject(BusClient) private readonly bus: BusClient) {}

  /** `{ prompt, folders, projectId?, model?, approvalMode? }` → 201 `{ id, status }`. */
  @Post()
  create(@Body() body: unknown): Promise<RpcResponse<typeof orchestratorTaskCreate>> {
    return this.bus.request(orchestratorTaskCreate, parseBody(orchestratorTaskCreate.request, body));
  }

  /** Newest first; `?status=&parentId=&projectId=&limit=&before=` narrow and page the list. */
  @Get()
  list(@Query() query: unknown): Promise<RpcResponse<typeof orchestratorTaskList>> {
    const filters = parseAddress(taskListQuerySchema, query, 'the query');
    return this.bus.request(
      orchestratorTaskList,
      parseAddress(orchestratorTaskList.request, filters, 'the query'),
    );
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<RpcResponse<typeof orchestratorTaskGet>> {
    return this.bus.request(orchestratorTaskGet, { taskId: parseTaskId(id) });
  }

  /** `{ text }`: steers a running task, or continues a finished one. */
  @Post(':id/messages')
  @HttpCode(200)
  message(
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<RpcResponse<typeof orchestratorTaskMessage>> {
    const taskId = parseTaskId(id);
    return this.bus.request(orchestratorTaskMessage, { taskId, ...parseBody(messageBodySchema, body) });
  }

  /** `{ decision: "allow" | "deny", remember? }` for one pending approval of the task. */
  @Post(':id/approvals/:approvalId')
  @HttpCode(200)
  approve(
    @Param('id') id: string,
    @Param('approvalId') approvalId: string,
    @Body() body: unknown,
  ): Promise<RpcResponse<typeof orchestratorTaskApprove>> {
    const taskId = parseTaskId(id);
    const approval = parseApprovalId(approvalId);
    return this.bus.request(orchestratorTaskApprove, {
      taskId,
      approvalId: approval,
      ...parseBody(approvalBodySchema, body),
    });
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string): Promise<RpcResponse<typeof orchestratorTaskCancel>> {
    return this.bus.request(orchestratorTaskCancel, { taskId: parseTaskId(id) });
  }
}
