/**
 * The pages of the authorization endpoint: a plain sign-in form (no script, no style sheet to fetch), the
 * `form_post` answer, and an error page for requests that cannot be answered at their redirect URI. Every
 * value is escaped; the pages carry their own Content-Security-Policy (see {@link pageHeaders}).
 */

export interface SignInPage {
  readonly appName: string;
  readonly tenant: string;
  /** The authorization request's own parameters, carried through the form as hidden fields. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly username: string;
  /** Shown above the form after a failed attempt: the AADSTS code and what it means. */
  readonly error?: string;
}

const STYLE = 'body{font:16px system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}label,input,button{display:block;width:100%;box-sizing:border-box}input{margin:.25rem 0 1rem;padding:.5rem}button{padding:.6rem}.error{color:#a00}';

export function signInPage(page: SignInPage): string {
  const hidden = Object.entries(page.parameters)
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('');
  return document(
    'Sign in',
    `<h1>Sign in</h1>
<p>to <strong>${escape(page.appName)}</strong> (graph-lro dev identity, tenant ${escape(page.tenant)})</p>
${page.error === undefined ? '' : `<p class="error" role="alert">${escape(page.error)}</p>`}
<form method="post">${hidden}
<label for="username">Email or user principal name</label><input id="username" name="username" autocomplete="username" required value="${escape(page.username)}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

/** `response_mode=form_post`: the code posted to the redirect URI by the browser; the nonce lets the one script run. */
export function formPostPage(redirectUri: string, fields: Readonly<Record<string, string>>, scriptNonce: string): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('');
  return document(
    'Signing in',
    `<form method="post" action="${escape(redirectUri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form>
<script nonce="${escape(scriptNonce)}">document.forms[0].submit()</script>`,
  );
}

/** An authorization request whose answer cannot go to its redirect URI (an unknown app, an unregistered URI). */
export function errorPage(description: string): string {
  return document('Sign-in error', `<h1>Sorry, but we're having trouble signing you in.</h1><p class="error">${escape(description)}</p>`);
}

/**
 * No script but the form_post one, no frames (the sign-in form cannot be clickjacked), forms only to this
 * server and to the redirect URI's origin: a browser applies `form-action` to the redirect a form's post
 * answers with, so the registered redirect URI must be allowed there.
 */
export function pageHeaders(redirectOrigin: string | undefined, scriptNonce?: string): Record<string, string> {
  const scripts = scriptNonce === undefined ? "'none'" : `'nonce-${scriptNonce}'`;
  const formAction = ["'self'", ...(redirectOrigin === undefined ? [] : [redirectOrigin])].join(' ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; script-src ${scripts}; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
  };
}

function document(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escape(title)} — graph-lro</title><style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
