import { servePath } from "../conformance/paths.js";
import { runReliability } from "./suite.js";

runReliability(servePath);
