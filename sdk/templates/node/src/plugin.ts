import { Type } from "@sinclair/typebox";
import { defineNode, definePlugin } from "@tessera/sdk";

/**
 * The `change-case` workflow node. Its schemas and handles must equal the
 * `tessera.contributes.nodes[0]` entry in package.json (`tessera-plugin build`
 * checks this).
 */
export const changeCase = defineNode({
  label: "Change case",
  configSchema: Type.Object({ mode: Type.Union([Type.Literal("upper"), Type.Literal("lower")]) }),
  inputSchema: Type.Object({ text: Type.String() }),
  outputSchema: Type.Object({ text: Type.String(), length: Type.Integer() }),
  handles: ["source", "empty"],
  run({ config, inputs }) {
    const text = config.mode === "upper" ? inputs.text.toUpperCase() : inputs.text.toLowerCase();
    return { outputs: { text, length: text.length }, handle: text === "" ? "empty" : "source" };
  },
});

export default definePlugin({
  nodes: { "change-case": changeCase },
});
