import { useState } from 'react';
import { Composer } from './composer.js';
import { HealthPill, HealthTable, useHealth } from './health.js';

const EXAMPLES = [
  'Sort the receipts in this folder into a spreadsheet, one row per receipt, with date, shop and amount.',
  'Read the meeting notes from this week and write a one-page summary with the decisions and open questions.',
  'Find the duplicate photos in this folder and list them; do not delete anything.',
];

export function Home(props: {
  readonly signedIn: boolean | undefined;
  readonly firstRun: boolean;
  readonly onStarted: () => void;
  /** The project the composer starts in (`/?project=`). */
  readonly projectId?: string | undefined;
}) {
  const health = useHealth();
  const [prompt, setPrompt] = useState('');
  return (
    <main className="home">
      <header className="page-head">
        <h1>New task</h1>
        <HealthPill health={health.health} />
      </header>
      {props.signedIn === false && (
        <p id="signin" className="notice">
          Open the address <code>steward up</code> printed (it carries your token) to see details and start
          work.
        </p>
      )}
      <Composer
        prompt={prompt}
        onPrompt={setPrompt}
        disabled={props.signedIn === false}
        onStarted={props.onStarted}
        projectId={props.projectId}
      />
      {props.firstRun && (
        <section className="card first-run" aria-labelledby="first-run-title">
          <h2 id="first-run-title">Connect a folder and describe an outcome</h2>
          <p>
            Steward works only inside the folders you connect. Say what you want done, not how; it plans the
            steps, shows its progress, and asks before it changes or deletes anything.
          </p>
          <ul className="examples">
            {EXAMPLES.map((example) => (
              <li key={example}>
                <button type="button" className="example" onClick={() => setPrompt(example)}>
                  {example}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <HealthTable {...health} />
    </main>
  );
}
