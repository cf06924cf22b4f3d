/** The roles, lowest first: each includes the ones before it (see `access-roles.ts`). */
export const ROLES = ['viewer', 'publisher', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
