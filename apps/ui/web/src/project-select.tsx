import type { ProjectView } from '@steward/contracts';
import { useCallback, useEffect, useRef, useState } from 'react';
import { loadProjects } from './project-api.js';

/** As many folders as one task may connect. */
const MAX_TASK_FOLDERS = 16;

/**
 * The folders a task in `project` connects: the one in the Folder box, then the project's others,
 * so a project with several folders starts its tasks with all of them.
 */
export function taskFolders(folder: string, project: ProjectView | undefined): string[] {
  const first = folder.trim();
  const others = project?.folders.filter((other) => other !== first) ?? [];
  return [first, ...others].slice(0, MAX_TASK_FOLDERS);
}

/**
 * The project a new task goes into. Choosing one fills the Folder box with its first folder when the
 * box is empty or still holds what was put there for the person (the folder used last, or another
 * project's): never over a folder they typed or browsed to.
 */
export function useProjectChoice(folder: string, setFolder: (folder: string) => void) {
  const [project, setProject] = useState<ProjectView>();
  const filled = useRef(folder);
  const choose = useCallback(
    (next: ProjectView | undefined) => {
      setProject(next);
      const first = next?.folders[0];
      if (first === undefined || (folder.trim() !== '' && folder !== filled.current)) return;
      filled.current = first;
      setFolder(first);
    },
    [folder, setFolder],
  );
  return { project, choose };
}

/**
 * The composer's "Project" choice: none by default, or `preset` (the project a "New task in this
 * project" link named) once the list has loaded. Shown only when there are projects to choose.
 */
export function ProjectSelect(props: {
  readonly preset: string | undefined;
  readonly chosen: ProjectView | undefined;
  readonly folder: string;
  readonly onChoose: (project: ProjectView | undefined) => void;
}) {
  const [projects, setProjects] = useState<readonly ProjectView[]>();
  const [missing, setMissing] = useState(false);
  const presetApplied = useRef(false);
  const { preset, onChoose } = props;

  useEffect(() => {
    let alive = true;
    loadProjects().then(
      (list) => alive && setProjects(list),
      // Without the list the task simply starts outside any project.
      () => alive && setProjects([]),
    );
    return () => {
      alive = false;
    };
  }, []);

  useEffect(() => {
    if (projects === undefined || preset === undefined || presetApplied.current) return;
    presetApplied.current = true;
    const project = projects.find((candidate) => candidate.id === preset);
    if (project === undefined) setMissing(true);
    else onChoose(project);
  }, [projects, preset, onChoose]);

  if (projects === undefined || (projects.length === 0 && !missing)) return null;
  const others = props.chosen === undefined ? [] : taskFolders(props.folder, props.chosen).slice(1);
  return (
    <div className="project-choice">
      <div className="row">
        <label htmlFor="task-project">Project</label>
        <select
          id="task-project"
          value={props.chosen?.id ?? ''}
          onChange={(event) => {
            setMissing(false);
            onChoose(projects.find((project) => project.id === event.target.value));
          }}
        >
          <option value="">No project</option>
          {projects.map((project) => (
            <option key={project.id} value={project.id}>
              {project.name}
            </option>
          ))}
        </select>
        {props.chosen !== undefined && props.chosen.instructions.trim() !== '' && (
          <span className="muted">The project’s instructions apply.</span>
        )}
      </div>
      {others.length > 0 && (
        <p className="muted project-more-folders">
          Also connects the project’s {others.length === 1 ? 'folder' : 'folders'}{' '}
          {others.map((other, index) => (
            <span key={other}>
              {index > 0 && ', '}
              <code>{other}</code>
            </span>
          ))}
        </p>
      )}
      {missing && (
        <p className="down" role="alert">
          The project this link named does not exist any more; the task starts outside any project.
        </p>
      )}
    </div>
  );
}
