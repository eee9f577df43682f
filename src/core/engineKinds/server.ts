import { EngineKind, requiredUrl } from './kind';

export const server: EngineKind = {
  id: 'server',
  label: 'Diffusion Infill server',
  detail: 'A "diffusion-infill serve" on a GPU machine: a URL, and a token if it wants one.',
  where: 'remote',
  fields: [
    {
      name: 'url',
      setting: 'model.server.url',
      flag: 'server',
      legacy: 'model.remoteUrl',
      type: 'url',
      prompt: 'The URL of the diffusion-infill server',
      example: 'http://gpu-box:8797',
    },
  ],
  secret: { label: 'bearer token', flag: 'token', env: 'DIFFUSION_INFILL_TOKEN', required: false },
  source(values, context) {
    const url = requiredUrl(server, values, context);
    return { kind: 'server', url, token: context.secret };
  },
};
