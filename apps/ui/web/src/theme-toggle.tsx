import { useId, useState } from 'react';
import { applyTheme, chooseTheme, storedTheme, THEMES, type Theme } from './theme.js';

// Before the first render, so a dark choice never flashes light.
applyTheme(storedTheme());

const LABEL: Record<Theme, string> = { system: 'System', light: 'Light', dark: 'Dark' };

export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(storedTheme);
  const legend = useId();
  return (
    <fieldset className="theme-toggle" role="radiogroup" aria-labelledby={legend}>
      <legend id={legend}>Theme</legend>
      {THEMES.map((option) => (
        <label key={option} className={option === theme ? 'chosen' : undefined}>
          <input
            type="radio"
            name="theme"
            value={option}
            checked={option === theme}
            onChange={() => {
              chooseTheme(option);
              setTheme(option);
            }}
          />
          {LABEL[option]}
        </label>
      ))}
    </fieldset>
  );
}
