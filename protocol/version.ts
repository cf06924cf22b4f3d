/** The package version, announced by the server and printed by `aiflow --version` (a test keeps it equal to package.json's). */
export const PACKAGE_VERSION = '0.1.0';
