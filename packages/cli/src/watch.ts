import { type Dirent, type FSWatcher, readdirSync, statSync, watch } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";

/** Directories never watched: dependencies, build output, VCS data, anything hidden. */
const IGNORED_DIRECTORIES = new Set(["node_modules", "dist", "build", "coverage", "out"]);

/** File extensions whose change reloads the app when found under a watched source directory. */
export const SOURCE_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".jsx", ".json"]);

/** A running watcher from {@link watchSources}. */
export interface SourceWatcher {
  /** Adds a file or directory tree; adding one twice is harmless. */
  add(path: string, options?: { anyFile?: boolean }): void;
  close(): void;
}

/**
 * Watches source trees and calls `onChange` with the changed files, debounced so that an editor's
 * save (often several events) or a `git checkout` reloads once. Each directory gets its own
 * non-recursive `fs.watch` — Node 20's recursive mode on Linux cannot skip `node_modules`, and
 * walking it costs seconds and thousands of inotify watches — and directories created later are
 * picked up as they appear. Only files with a {@link SOURCE_EXTENSIONS} extension count, except
 * under directories added with `anyFile` and files added by name.
 *
 * @example
 * ```ts
 * const watcher = watchSources((files) => console.log("changed:", files), { debounceMs: 80 });
 * watcher.add(process.cwd());
 * ```
 */
export function watchSources(onChange: (files: string[]) => void, options: { debounceMs: number }): SourceWatcher {
  // One watcher per directory; a directory is a tree member (walked, its source files count), a
  // tree added with anyFile (every file counts), or only the parent of files added one by one —
  // watching the parent rather than the file survives editors that save by renaming.
  const directories = new Map<string, { watcher: FSWatcher; tree: boolean; anyFile: boolean; files: Set<string> }>();
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const schedule = (file: string) => {
    changed.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed];
      changed.clear();
      if (!closed) onChange(files);
    }, options.debounceMs);
  };

  const watchDirectory = (directory: string) => {
    const existing = directories.get(directory);
    if (existing || closed) return existing;
    let watcher: FSWatcher;
    try {
      watcher = watch(directory, { persistent: true }, (_event, name) => {
        const entry = directories.get(directory);
        if (!entry || !name) return;
        const file = join(directory, name.toString());
        if (entry.files.has(file)) return schedule(file);
        if (!entry.tree) return;
        if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
          if (!ignoredDirectory(file)) walk(file, entry.anyFile);
        } else if (entry.anyFile || SOURCE_EXTENSIONS.has(extname(file))) schedule(file);
      });
    } catch {
      return undefined; // Gone already, or not readable: nothing to watch.
    }
    // A watched directory that is deleted ends its watcher; forget it so it can come back.
    watcher.on("error", () => {
      watcher.close();
      directories.delete(directory);
    });
    const entry = { watcher, tree: false, anyFile: false, files: new Set<string>() };
    directories.set(directory, entry);
    return entry;
  };

  const walk = (directory: string, anyFile: boolean) => {
    const entry = watchDirectory(directory);
    if (!entry || (entry.tree && (entry.anyFile || !anyFile))) return;
    entry.tree = true;
    entry.anyFile ||= anyFile;
    let children: Dirent[];
    try {
      children = readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    for (const child of children) {
      const path = join(directory, child.name);
      if (child.isDirectory() && !ignoredDirectory(path)) walk(path, anyFile);
    }
  };

  return {
    add(path, addOptions = {}) {
      const absolute = resolve(path);
      const stats = statSync(absolute, { throwIfNoEntry: false });
      if (stats?.isDirectory()) walk(absolute, addOptions.anyFile ?? false);
      else watchDirectory(dirname(absolute))?.files.add(absolute);
    },
    close() {
      closed = true;
      clearTimeout(timer);
      for (const { watcher } of directories.values()) watcher.close();
      directories.clear();
    },
  };
}

function ignoredDirectory(path: string): boolean {
  const name = basename(path);
  return IGNORED_DIRECTORIES.has(name) || name.startsWith(".");
}
