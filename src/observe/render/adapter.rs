//! Checks for a usable graphics adapter before Bevy starts, because Bevy panics without one.

use bevy::render::settings::Backends;
use wgpu::{Instance, InstanceDescriptor, RequestAdapterOptions};

use super::RenderError;

/// Name and backend of the adapter that wgpu would pick, e.g. `"llvmpipe (LLVM 19.1.7, 256
/// bits) (Vulkan)"`.
///
/// Uses the same backends as Bevy (all compiled ones unless `WGPU_BACKEND` narrows them) and
/// honours `WGPU_FORCE_FALLBACK_ADAPTER`.
pub fn find_adapter() -> Result<String, RenderError> {
    let mut descriptor = InstanceDescriptor::new_without_display_handle_from_env();
    descriptor.backends = Backends::from_env().unwrap_or(Backends::all());
    let instance = Instance::new(descriptor);
    let force_fallback_adapter = std::env::var("WGPU_FORCE_FALLBACK_ADAPTER")
        .is_ok_and(|value| !(value.is_empty() || value == "0" || value == "false"));
    let options = RequestAdapterOptions {
        force_fallback_adapter,
        ..Default::default()
    };
    match bevy::tasks::block_on(instance.request_adapter(&options)) {
        Ok(adapter) => {
            let info = adapter.get_info();
            Ok(format!("{} ({:?})", info.name, info.backend))
        }
        Err(error) => Err(RenderError::NoAdapter {
            reason: error.to_string(),
        }),
    }
}
