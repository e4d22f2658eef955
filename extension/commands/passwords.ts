import type { Login } from '../config/logins';
import { isTreeNode } from '../tree/nodes';
import type { Services } from './services';
import { Cancelled } from './targets';

interface LoginTarget {
  gatewayId: string;
  login: Login;
}

/**
 * The device a password command is for: the clicked device row, else one picked among the
 * devices of bifrost.json that log in with a username (only those with a stored password for
 * Forget Password).
 */
async function loginTarget(s: Services, arg: unknown, title: string, only?: (t: LoginTarget) => Promise<boolean>): Promise<LoginTarget> {
  if (isTreeNode(arg) && arg.kind === 'device') {
    const login = s.passwords.loginsOf(arg.gatewayId).find((l) => l.deviceId === arg.deviceId);
    if (!login) throw new Error(`${arg.deviceId} does not log in with a username: a password is for devices with "user": {"type": "username", "username": …} in bifrost.json.`);
    return { gatewayId: arg.gatewayId, login };
  }
  let targets = s.gateways.all.flatMap((g) => s.passwords.loginsOf(g.id).map((login) => ({ gatewayId: g.id, login })));
  if (targets.length === 0) throw new Error('No device in bifrost.json logs in with a username ("user": {"type": "username", "username": …}).');
  if (only) {
    const keep = await Promise.all(targets.map(only));
    targets = targets.filter((_, i) => keep[i]);
    if (targets.length === 0) throw new Error('No device has a stored password.');
  }
  const picked = await s.prompts.quickPick(
    targets.map((t) => ({ label: t.login.deviceName, description: `${t.login.username} · ${t.login.server}`, target: t })),
    { title, placeHolder: 'Device', matchOnDescription: true },
  );
  if (!picked) throw new Cancelled();
  return picked.target;
}

/** Set Password…: stored in VS Code's secret storage; the device reconnects with it. */
export const setPassword = (s: Services) => async (arg?: unknown) => {
  const t = await loginTarget(s, arg, 'Bifrost: Set Password');
  if (!(await s.passwords.askAndStore(t.gatewayId, t.login))) throw new Cancelled();
  void s.prompts.notify('info', `The password of "${t.login.username}" for ${t.login.deviceName} is stored in VS Code's secret storage; the device connects with it.`);
};

/** Forget Password: removed from the secret storage; the device is sent without one. */
export const forgetPassword = (s: Services) => async (arg?: unknown) => {
  const t = await loginTarget(s, arg, 'Bifrost: Forget Password', (c) => s.passwords.has(c.gatewayId, c.login));
  const had = await s.passwords.forget(t.gatewayId, t.login);
  void s.prompts.notify('info', had ? `The password of "${t.login.username}" for ${t.login.deviceName} is forgotten.` : `No password was stored for ${t.login.deviceName}.`);
};

