import { BaseModel } from '../identity/models.js';

/** An app's row: its identity, API switches and limits; configs live in `app_configs`. */
export class App extends BaseModel {
  static override tableName = 'apps';
  workspace_id!: string;
  name!: string;
  mode!: string;
  description!: string;
  enable_api!: boolean;
  created_by!: string | null;
  icon!: string;
  icon_type!: string;
  icon_background!: string;
  status!: string;
  max_active_requests!: number;
  api_rpm!: number;
  draft_config!: string;
  published_version_id!: string | null;
  published_at!: Date | null;
}
