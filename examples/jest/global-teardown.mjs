export default async function globalTeardown() {
  await globalThis.graphLro.close();
}
