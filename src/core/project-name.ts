// PEP 503 project-name normalisation, which PEP 685 applies to extra names too.
// Spec: https://packaging.python.org/en/latest/specifications/name-normalization/

/** `Foo.Bar__baz` -> `foo-bar-baz`: runs of `-`, `_`, `.` become one `-`, lower-cased (`re.sub(r"[-_.]+", "-", name).lower()`). */
export function normalizeProjectName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}
