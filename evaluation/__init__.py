"""The DAVIS evaluation harness: `restore eval davis` and `restore eval report`.

- `davis`: DAVIS root checks, resolution folders, sequences, frames.
- `tasks`: inpaint-boxes / inpaint-center / inpaint-objects / denoise-<kind> inputs.
- `profiles`: smoke / cpu / paper settings shared by every method, with overrides.
- `job`: one (method, sequence) restoration through `restore.api.restore`, scored and recorded.
- `runner`: planning, resuming and running jobs in a process pool.
- `records`: one JSON record per job, the only source of reports.
- `scoring`, `metrics`, `warp_error`: scores (PSNR/SSIM in and outside holes, E_warp (DIS)).
- `tables`, `plots`, `report`: Markdown tables, CSV and PNG figures from records.
- `cli`: the typer app mounted as `restore eval`.
"""
