/** Prints what a refused sign-in throws, as an app would log it: the error's name and message. */
export async function printRefusal(signIn: () => Promise<unknown>): Promise<void> {
  try {
    await signIn();
    console.log(JSON.stringify({ error: null }));
  } catch (error) {
    console.log(JSON.stringify({ name: (error as Error).name, error: (error as Error).message }));
  }
}
