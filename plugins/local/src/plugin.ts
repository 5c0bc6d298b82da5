import { definePlugin } from "@tessera/sdk";
import { local } from "./provider.js";

export { local };

export default definePlugin({
  providers: { local },
});
