import { injectPath } from "../conformance/paths.js";
import { runReliability } from "./suite.js";

runReliability(injectPath);
