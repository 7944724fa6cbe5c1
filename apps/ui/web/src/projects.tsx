import type { ProjectView } from '@steward/contracts';
import { useEffect, useState } from 'react';
import { errorText } from './api.js';
import { Link } from './link.js';
import { taskCountText, useProjects } from './project-api.js';
import { NewProjectDialog } from './project-dialog.js';
import { navigate, projectPath } from './router.js';

const PROJECTS_REFRESH_MS = 10_000;

/** The projects page: each project with its task counts and folders, and "New project". */
export function ProjectsPage() {
  const projects = useProjects(PROJECTS_REFRESH_MS);
  const [creating, setCreating] = useState(false);
  useEffect(() => {
    document.title = 'Projects · Steward';
  }, []);

  const list = projects.value;
  return (
    <main className="view-page projects-page">
      <header className="page-head">
        <h1>Projects</h1>
        <button type="button" aria-haspopup="dialog" onClick={() => setCreating(true)}>
          New project
        </button>
      </header>
      {list === undefined ? (
        projects.error === undefined ? (
          <p className="muted" role="status">
            Loading projects…
          </p>
        ) : (
          <div role="alert" className="load-error">
            <p className="down">Projects could not be loaded: {errorText(projects.error)}</p>
            <button type="button" className="secondary" onClick={projects.reload}>
              Try again
            </button>
          </div>
        )
      ) : list.length === 0 ? (
        <EmptyProjects onCreate={() => setCreating(true)} />
      ) : (
        <ul className="project-list" aria-label="Projects">
          {list.map((project) => (
            <ProjectItem key={project.id} project={project} />
          ))}
        </ul>
      )}
      {creating && (
        <NewProjectDialog
          onClose={() => setCreating(false)}
          onCreated={(project) => navigate(projectPath(project.id))}
        />
      )}
    </main>
  );
}

function ProjectItem(props: { readonly project: ProjectView }) {
  const { project } = props;
  return (
    <li className="card project-item">
      <Link to={projectPath(project.id)} className="project-name">
        {project.name}
      </Link>
      <span className={project.activeTaskCount > 0 ? 'project-count active' : 'project-count muted'}>
        {taskCountText(project)}
      </span>
      {project.folders.length === 0 ? (
        <p className="muted project-folders">No folders yet</p>
      ) : (
        <ul className="project-folders" aria-label={`Folders of ${project.name}`}>
          {project.folders.map((folder) => (
            <li key={folder}>
              <code title={folder}>{folder}</code>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** What a project is for, with an example, before there is one. */
function EmptyProjects(props: { readonly onCreate: () => void }) {
  return (
    <section className="card project-empty" aria-labelledby="projects-empty-title">
      <h2 id="projects-empty-title">Keep recurring work in one place</h2>
      <p>
        A project keeps instructions and folders you use again and again, so every task you start in it begins
        with them: you don’t repeat the same explanations, and its tasks are listed together.
      </p>
      <figure className="project-example">
        <figcaption className="muted">For example</figcaption>
        <dl>
          <dt>Name</dt>
          <dd>Household paperwork</dd>
          <dt>Instructions</dt>
          <dd>Amounts are in euros. Name files “YYYY-MM-DD shop.pdf”. Never delete an original.</dd>
          <dt>Folders</dt>
          <dd>
            <code>/home/you/Documents/bills</code>
          </dd>
        </dl>
        <p className="muted">Then “Sort this month’s receipts” needs no more explanation than that.</p>
      </figure>
      <p>
        <button type="button" className="secondary" aria-haspopup="dialog" onClick={props.onCreate}>
          Create your first project
        </button>
      </p>
    </section>
  );
}
