import { apiRoutes } from '../kit.ts';

export default apiRoutes({ tag: 'Collaboration', host: 'tenant' }, () => {});
