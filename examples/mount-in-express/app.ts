import { type GatewayApp, json, pass, readJson, text } from "@gangway/core";
import { toExpress } from "@gangway/express";
import express, { type ErrorRequestHandler, type Express } from "express";

/** A book as the gateway app keeps it. */
interface Book {
  id: number;
  title: string;
}

const books: Book[] = [{ id: 1, title: "Notes on the Analytical Engine" }];

/**
 * The gateway app: a small books API. It routes on `path` and builds its own URLs from
 * `basePath`, so it works wherever it is mounted — here under `/gw` — and answers `pass()` for
 * anything it does not know, handing the request back to Express.
 */
export const booksApp: GatewayApp = async (request) => {
  const { method, basePath, path } = request;
  if (method === "GET" && path === "/books") return json(books);
  if (method === "POST" && path === "/books") {
    const { title } = await readJson<{ title?: unknown }>(request, { limit: 16 * 1024 });
    if (typeof title !== "string" || title === "") return text("a book needs a title\n", { status: 422 });
    const book = { id: books.length + 1, title };
    books.push(book);
    return json(book, { status: 201, headers: { location: `${basePath}/books/${book.id}` } });
  }
  const match = /^\/books\/(\d+)$/.exec(path);
  if (method === "GET" && match) {
    const book = books.find((b) => b.id === Number(match[1]));
    return book ? json(book) : text("no such book\n", { status: 404 });
  }
  if (path === "/crash") throw new Error("the books app failed");
  return pass();
};

/**
 * The Express app that hosts it: its own routes before and after, the gateway app at `/gw`, and
 * an error handler that also sees the gateway app's errors.
 */
export const server: Express = express()
  // express.json() may parse first: the gateway app still reads the body (rule 34).
  .use(express.json())
  .get("/", (_req, res) => {
    res.type("text").send("Express home. The books API lives under /gw/books\n");
  })
  .use("/gw", toExpress(booksApp))
  .get("/gw/about", (_req, res) => {
    // Reached because the gateway app passed on /about.
    res.type("text").send("an Express route under /gw, after the gateway app\n");
  })
  .use(((error, _req, res, _next) => {
    res.status(500).json({ error: (error as Error).message });
  }) as ErrorRequestHandler);
