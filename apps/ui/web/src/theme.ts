/*
 * Light, dark, or whatever the system prefers. The choice is kept in this browser and set as
 * `data-theme` on the root element, which app.css reads; "system" leaves the attribute off so
 * `prefers-color-scheme` decides.
 */

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

const KEY = 'steward.theme';

const isTheme = (value: unknown): value is Theme => THEMES.includes(value as Theme);

export function storedTheme(): Theme {
  try {
    const value = localStorage.getItem(KEY);
    return isTheme(value) ? value : 'system';
  } catch {
    // Storage refused (a locked-down browser): the system's preference it is.
    return 'system';
  }
}

export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  if (theme === 'system') delete root.dataset['theme'];
  else root.dataset['theme'] = theme;
}

export function chooseTheme(theme: Theme): void {
  applyTheme(theme);
  try {
    if (theme === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  } catch {
    // Not remembered, but applied for this visit.
  }
}
