import { Type } from "@sinclair/typebox";
import { definePlugin, defineTool } from "@tessera/sdk";

/**
 * The `greet` tool. Its `parameters` schema must equal
 * `tessera.contributes.tools[0].parameters` in package.json
 * (`tessera-plugin build` checks this).
 */
export const greet = defineTool({
  label: "Greet",
  description: "Returns a friendly greeting for a name",
  parameters: Type.Object({
    name: Type.String({ minLength: 1, maxLength: 100, description: "Who to greet" }),
    shout: Type.Optional(Type.Boolean({ description: "Upper-case the greeting" })),
  }),
  invoke({ name, shout }, ctx) {
    const greeting = `Hello, ${name}!`;
    ctx.log.info("greeted", { name });
    return { greeting: shout ? greeting.toUpperCase() : greeting };
  },
});

export default definePlugin({
  tools: { greet },
});
