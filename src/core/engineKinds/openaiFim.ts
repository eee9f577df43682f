import { EngineKind, requiredText, requiredUrl } from './kind';

export const openaiFim: EngineKind = {
  id: 'openai-fim',
  label: 'OpenAI-compatible FIM endpoint',
  detail: "A fill-in-the-middle completions endpoint such as Inception's Mercury: a URL, a model name and an API key.",
  where: 'remote',
  fields: [
    {
      name: 'url',
      setting: 'model.openaiFim.url',
      flag: 'url',
      legacy: 'model.remoteUrl',
      type: 'url',
      prompt: 'The completions endpoint, or its /v1 base',
      example: 'https://api.inceptionlabs.ai/v1',
    },
    {
      name: 'model',
      setting: 'model.openaiFim.model',
      flag: 'remote-model',
      legacy: 'model.remoteModel',
      type: 'text',
      prompt: 'The model name',
      example: 'mercury-coder',
    },
    {
      name: 'diffusing',
      setting: 'model.openaiFim.diffusing',
      flag: 'diffusing',
      legacy: 'model.remoteDiffusing',
      type: 'boolean',
      prompt: 'Stream the intermediate denoising states (Mercury)',
      optional: true,
    },
  ],
  secret: { label: 'API key', flag: 'api-key', env: 'DIFFUSION_INFILL_API_KEY', required: false },
  source(values, context) {
    const url = requiredUrl(openaiFim, values, context);
    return { kind: 'openai-fim', url, model: requiredText(openaiFim, 'model', values, context), apiKey: context.secret, diffusing: values.diffusing === true };
  },
};
