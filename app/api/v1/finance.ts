import { apiRoutes } from '../kit.ts';

export default apiRoutes({ tag: 'Finance', host: 'tenant' }, () => {});
