/**
 * The version of the plugin API implemented by this SDK build.
 *
 * A plugin's manifest declares the API range it was written against in
 * `tessera.apiVersion` (e.g. `"^1.0.0"`); the kernel refuses to load a plugin
 * whose range is not satisfied by this version.
 */
export const SDK_API_VERSION = "1.0.0";
