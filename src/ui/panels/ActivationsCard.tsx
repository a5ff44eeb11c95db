export function ActivationsCard() {
  return null
}
