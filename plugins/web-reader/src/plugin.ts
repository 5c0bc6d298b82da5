import { definePlugin } from "@tessera/sdk";
import { readPage } from "./read-page.js";

export { readPage };

export default definePlugin({
  tools: { "read-page": readPage },
});
