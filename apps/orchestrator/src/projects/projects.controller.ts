import { Controller, Inject } from '@nestjs/common';
import {
  orchestratorProjectCreate,
  orchestratorProjectDelete,
  orchestratorProjectGet,
  orchestratorProjectList,
  orchestratorProjectUpdate,
  type RpcRequest,
  type RpcResponse,
} from '@steward/contracts';
import { RpcHandler } from '@steward/messaging';
import { ProjectStore } from './project-store.js';

/** The bus face of projects, for the page (through ui). */
@Controller()
export class ProjectsController {
  constructor(@Inject(ProjectStore) private readonly projects: ProjectStore) {}

  @RpcHandler(orchestratorProjectCreate)
  create(
    input: RpcRequest<typeof orchestratorProjectCreate>,
  ): Promise<RpcResponse<typeof orchestratorProjectCreate>> {
    return this.projects.create(input);
  }

  @RpcHandler(orchestratorProjectList)
  async list(): Promise<RpcResponse<typeof orchestratorProjectList>> {
    return { projects: await this.projects.list() };
  }

  @RpcHandler(orchestratorProjectGet)
  get(input: RpcRequest<typeof orchestratorProjectGet>): Promise<RpcResponse<typeof orchestratorProjectGet>> {
    return this.projects.get(input.projectId);
  }

  @RpcHandler(orchestratorProjectUpdate)
  update(
    input: RpcRequest<typeof orchestratorProjectUpdate>,
  ): Promise<RpcResponse<typeof orchestratorProjectUpdate>> {
    return this.projects.update(input);
  }

  @RpcHandler(orchestratorProjectDelete)
  delete(
    input: RpcRequest<typeof orchestratorProjectDelete>,
  ): Promise<RpcResponse<typeof orchestratorProjectDelete>> {
    return this.projects.delete(input.projectId);
  }
}
