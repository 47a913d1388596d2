import { describe, expect, it } from "vitest";
import { empty, html, isPass, json, pass, redirect, text } from "./response.js";

describe("response helpers", () => {
  it("build text, html and JSON responses with their content types", () => {
    expect(text("hi")).toEqual({ status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: "hi" });
    expect(html("<p>", { status: 201 }).headers?.["content-type"]).toBe("text/html; charset=utf-8");
    expect(json({ a: 1 }, { status: 202, statusText: "Taken", headers: { "x-a": "1" } })).toEqual({
      status: 202,
      statusText: "Taken",
      headers: { "content-type": "application/json; charset=utf-8", "x-a": "1" },
      body: '{"a":1}',
    });
    expect(json(undefined).body).toBe("null");
  });

  it("let the caller's headers override the default content type", () => {
    expect(text("x", { headers: { "content-type": "text/csv" } }).headers?.["content-type"]).toBe("text/csv");
  });

  it("build redirects and empty responses", () => {
    expect(redirect("/login")).toEqual({ status: 302, headers: { location: "/login" }, body: null });
    expect(redirect("/new", 308).status).toBe(308);
    expect(empty()).toEqual({ status: 204, headers: {}, body: null });
    expect(empty(205).status).toBe(205);
  });

  it("mark pass() as not mine, distinct from a 404 the app meant, and keep the mark through a spread", () => {
    const passed = pass();
    expect(passed.status).toBe(404);
    expect(isPass(passed)).toBe(true);
    expect(isPass({ ...passed, headers: { ...passed.headers, "x-a": "1" } })).toBe(true);
    expect(isPass(text("Not Found", { status: 404 }))).toBe(false);
    expect(isPass(undefined)).toBe(false);
  });
});
