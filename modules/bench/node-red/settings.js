// Node-RED settings for the relay benchmark's peer: no editor, no admin API, no telemetry, little
// logging; the flow file and the port come from the environment (RelayProcess writes the flow).
module.exports = {
  uiHost: '127.0.0.1',
  uiPort: Number(process.env.NODE_RED_PORT),
  flowFile: 'flows.json',
  httpAdminRoot: false,
  disableEditor: true,
  credentialSecret: false,
  diagnostics: { enabled: false, ui: false },
  telemetry: { enabled: false },
  externalModules: { autoInstall: false, palette: { allowInstall: false } },
  logging: { console: { level: 'warn', metrics: false, audit: false } },
};
