import { apiRoutes } from '../kit.ts';

export default apiRoutes({ tag: 'Platform', host: 'platform' }, () => {});
