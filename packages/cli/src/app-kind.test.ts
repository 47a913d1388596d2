import { describe, expect, it } from "vitest";
import { describeValue, toAppKind } from "./app-kind.js";

describe("toAppKind", () => {
  it("tells each kind by shape, without calling anything", () => {
    const called: string[] = [];
    const spy = (name: string) => () => called.push(name);
    const express = Object.assign(spy("express"), { handle: spy("handle"), use: spy("use"), set: spy("set") });
    expect(toAppKind(express)).toBe("express");
    expect(toAppKind({ callback: spy("callback"), use: spy("use"), middleware: [] })).toBe("koa");
    expect(toAppKind({ routing: spy("r"), ready: spy("r"), register: spy("r"), inject: spy("i") })).toBe("fastify");
    expect(toAppKind({ fetch: spy("fetch") })).toBe("fetch");
    expect(toAppKind(spy("gateway"))).toBe("gateway");
    expect(called).toEqual([]);
  });

  it("takes a function with only some framework methods for a gateway app, and rejects non-apps", () => {
    expect(toAppKind(Object.assign(() => ({ status: 200 }), { use() {} }))).toBe("gateway");
    expect(toAppKind({ callback() {}, use() {}, middleware: "no" })).toBeUndefined();
    expect(toAppKind(class App {})).toBeUndefined();
    expect(toAppKind({ fetch: "no" })).toBeUndefined();
    expect(toAppKind(Promise.resolve(() => ({ status: 200 })))).toBeUndefined();
    for (const value of [undefined, null, 42, "app", [], {}]) expect(toAppKind(value)).toBeUndefined();
  });
});

describe("describeValue", () => {
  it("says what a value is", () => {
    expect(describeValue(undefined)).toBe("undefined");
    expect(describeValue(null)).toBe("null");
    expect(describeValue("x")).toBe("a string");
    expect(describeValue(1)).toBe("a number");
    expect(describeValue(() => {})).toBe("a function");
    expect(describeValue(class Pool {})).toBe("a class (Pool)");
    expect(describeValue(Promise.resolve())).toBe("a Promise");
    expect(describeValue([1])).toBe("an array");
    expect(describeValue({})).toBe("an empty object");
    expect(describeValue({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7 })).toBe(
      "an object with keys a, b, c, d, e, f, ...",
    );
  });
});
