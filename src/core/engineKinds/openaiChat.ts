import { EngineKind, requiredText, requiredUrl } from './kind';

export const openaiChat: EngineKind = {
  id: 'openai-chat',
  label: 'OpenAI-compatible chat endpoint',
  detail: "A team's SGLang or vLLM server (LLaDA 2.x, DiffusionGemma): a URL, a model name, and an API key if it wants one.",
  where: 'remote',
  fields: [
    {
      name: 'url',
      setting: 'model.openaiChat.url',
      flag: 'url',
      legacy: 'model.remoteUrl',
      type: 'url',
      prompt: 'The server, or its /v1 base',
      example: 'http://team-gpu:30000/v1',
    },
    {
      name: 'model',
      setting: 'model.openaiChat.model',
      flag: 'remote-model',
      legacy: 'model.remoteModel',
      type: 'text',
      prompt: 'The model the server serves',
      example: 'inclusionAI/LLaDA2.0-mini',
    },
  ],
  secret: { label: 'API key', flag: 'api-key', env: 'DIFFUSION_INFILL_API_KEY', required: false },
  source(values, context) {
    const url = requiredUrl(openaiChat, values, context);
    return { kind: 'openai-chat', url, model: requiredText(openaiChat, 'model', values, context), apiKey: context.secret };
  },
};
