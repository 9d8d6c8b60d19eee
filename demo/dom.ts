// Small DOM helpers for the explorer: look elements up (failing loudly if the
// page lacks one) and build elements without innerHTML.

/** The element with `id`; throws if the page has none (a typo, not a user error). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

type Child = Node | string | null | undefined | false;

/** `<tag class=… …attributes>children</tag>`. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string | boolean>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === false || value === undefined) continue;
    node.setAttribute(name === 'className' ? 'class' : name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

/** A form's named field. */
export function field<T extends HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement = HTMLInputElement>(
  form: HTMLFormElement,
  name: string,
): T {
  const found = form.elements.namedItem(name);
  if (!found) throw new Error(`form #${form.id} has no field ${name}`);
  return found as T;
}

/** Runs `handler` on submit, without the page navigating. */
export function onSubmit(form: HTMLFormElement, handler: () => Promise<void> | void): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void handler();
  });
}
