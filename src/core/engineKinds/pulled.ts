import { EngineKind, KindError, requiredText } from './kind';

export const pulled: EngineKind = {
  id: 'pulled',
  label: 'Downloaded model',
  detail: 'A model downloaded from the Hugging Face Hub into this machine (Open-dCoder, DiffuCoder, Dream-Coder, LLaDA): pick one and it is fetched and built.',
  where: 'local',
  fields: [
    {
      name: 'repo',
      setting: 'model.pulled',
      flag: 'pulled',
      type: 'text',
      prompt: 'The downloaded model (a Hugging Face repository id)',
      example: 'fredzzp/open-dcoder-0.5B',
    },
  ],
  source(values, context) {
    const repo = requiredText(pulled, 'repo', values, context);
    const dir = context.pulledModel?.(repo);
    if (!dir) {
      throw new KindError(
        `${context.name(pulled.fields[0])} is ${repo}, which is not downloaded yet: choose it in Choose Model to download it (or models pull ${repo})`,
        'pulled',
        pulled.fields[0],
      );
    }
    return { kind: 'local', dir, runtime: context.runtime };
  },
};
