import { definePlugin } from "@tessera/sdk";
import { anthropic } from "./provider.js";

export { anthropic };

export default definePlugin({
  providers: { anthropic },
});
