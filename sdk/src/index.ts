export const SDK_API_VERSION = "1.0.0";
