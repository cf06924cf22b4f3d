// `npm run build`: writes the dashboard bundle under dist/dashboard/, which the installed server serves.
import { DASHBOARD_DIST, writeDashboard } from './dashboard-bundle.ts';

await writeDashboard();
console.log(`dashboard bundle written to ${DASHBOARD_DIST}`);
