// What a terminal would act on in text a test printed.

/** Control characters a terminal acts on: all C0 but \n and \t, DEL, C1, bidi overrides. */
export function controls(text: string): string[] {
  return [...text].filter((c) => {
    const n = c.codePointAt(0) ?? 0;
    return (
      (n < 0x20 && n !== 0x0a && n !== 0x09) ||
      (n >= 0x7f && n <= 0x9f) ||
      (n >= 0x202a && n <= 0x202e)
    );
  });
}
