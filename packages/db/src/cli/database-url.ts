/** Reads `DATABASE_URL` for the CLIs, or exits with a message that names it. */
export function databaseUrlFromEnv(command: string): string {
  const url = process.env.DATABASE_URL?.trim();
  if (!url) {
    console.error(
      `${command}: DATABASE_URL is not set. Example: DATABASE_URL=postgres://user:pass@localhost:5432/dynapharm pnpm db:${command}`,
    );
    process.exit(2);
  }
  return url;
}
