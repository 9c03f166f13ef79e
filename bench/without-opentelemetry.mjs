// `node --import ./bench/without-opentelemetry.mjs`: the process runs as if @opentelemetry/api were not
// installed (the library's optional import of it fails), for the telemetry group's "API absent" row.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
    export async function resolve(specifier, context, next) {
      if (specifier === '@opentelemetry/api') throw Object.assign(new Error('hidden by the benchmark'), { code: 'ERR_MODULE_NOT_FOUND' });
      return next(specifier, context);
    }`)}`,
);
