// Overridable so a second checkout can run its e2e tests beside this one.
export const PREVIEW_PORT = Number(process.env.ML_PREVIEW_PORT ?? 4173)
export const HUB_PORT = Number(process.env.ML_HUB_PORT ?? 5199)
export const SLOW_HUB_PORT = Number(process.env.ML_SLOW_HUB_PORT ?? 5198)
export const COMPLETIONS_PORT = Number(process.env.ML_COMPLETIONS_PORT ?? 5197)
