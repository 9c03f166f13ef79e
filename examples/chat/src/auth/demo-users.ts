/** A user of the demo; in a real app this comes from your user store. */
export interface DemoUser {
  sub: string;
  name: string;
  roles: string[];
}

// Demo only: fixed users with a shared password, so anyone can try the example.
const USERS: Record<string, DemoUser & { password: string }> = {
  alice: { sub: 'alice', name: 'Alice', roles: ['member'], password: 'password' },
  bob: { sub: 'bob', name: 'Bob', roles: ['member'], password: 'password' },
  carol: { sub: 'carol', name: 'Carol', roles: ['member'], password: 'password' },
  admin: { sub: 'admin', name: 'Admin', roles: ['admin'], password: 'admin' },
};

/** The user with these credentials, or undefined. */
export function findDemoUser(username: string, password: string): DemoUser | undefined {
  const user = USERS[username];
  if (!user || user.password !== password) return undefined;
  const { password: _password, ...profile } = user;
  return profile;
}

/** The name to show for a user id (the id itself for an unknown one). */
export function displayName(userId: string): string {
  return USERS[userId]?.name ?? userId;
}

/** Rooms of the demo: everyone may join the public ones, admins also `staff`. */
export const ROOMS = ['general', 'random', 'staff'];

export function mayJoin(user: DemoUser, room: string): boolean {
  if (room === 'staff') return user.roles.includes('admin');
  return ROOMS.includes(room);
}
