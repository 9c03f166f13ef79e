import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RealtimeModuleOptions } from './realtime-options.interface.js';

export const {
  ConfigurableModuleClass: ConfigurableRealtimeModule,
  MODULE_OPTIONS_TOKEN: RAW_REALTIME_OPTIONS,
  OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RealtimeModuleOptions>()
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createRealtimeOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** What `RealtimeModule.forRoot()` takes: the module options and `isGlobal`. */
export type RealtimeModuleForRootOptions = typeof OPTIONS_TYPE;
