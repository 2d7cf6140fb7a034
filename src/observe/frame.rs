//! Captured frames: what a camera delivered at one physics step.

use std::path::Path;

use image::{ImageBuffer, ImageError, Luma, RgbImage};

use super::camera::CameraModel;

/// Instance id of pixels that show no scene geometry (the background).
pub const BACKGROUND_ID: u16 = 0;
/// First instance id of support boxes; support `i` gets `SUPPORT_ID_BASE + i`.
pub const SUPPORT_ID_BASE: u16 = 0x4000;
/// First instance id of robot links; link `i` gets `ROBOT_ID_BASE + i`.
pub const ROBOT_ID_BASE: u16 = 0x8000;

/// Instance id of object `index` of the layout (ids start at 1).
pub fn object_instance_id(index: usize) -> u16 {
    u16::try_from(index + 1).expect("scenes have far fewer than 16384 objects")
}

/// Metric depth image: distance along the optical axis in metres, row-major.
/// Pixels that show no geometry are `f32::INFINITY`.
#[derive(Debug, Clone, PartialEq)]
pub struct DepthImage {
    pub width: u32,
    pub height: u32,
    pub data: Vec<f32>,
}

impl DepthImage {
    pub fn get(&self, u: u32, v: u32) -> f32 {
        self.data[(v * self.width + u) as usize]
    }
}

/// Instance-id image, row-major. For grading, tests and debugging overlays only: perception
/// never receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceImage {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u16>,
}

impl InstanceImage {
    pub fn get(&self, u: u32, v: u32) -> u16 {
        self.data[(v * self.width + u) as usize]
    }
}

/// One captured frame of one camera.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Physics step whose world state the frame shows.
    pub step: u64,
    /// Simulated time of that step, seconds.
    pub time_s: f32,
    pub camera_id: String,
    pub camera: CameraModel,
    pub rgb: RgbImage,
    pub depth: DepthImage,
    pub instances: InstanceImage,
}

impl Frame {
    /// Writes `STEM_rgb.png` (8-bit sRGB), `STEM_depth.png` (16-bit grayscale millimetres,
    /// 0 where no geometry, saturating at 65535) and `STEM_ids.png` (16-bit instance ids) into
    /// `dir`, creating it if needed.
    pub fn save_png(&self, dir: &Path, stem: &str) -> Result<(), ImageError> {
        std::fs::create_dir_all(dir)?;
        self.rgb.save(dir.join(format!("{stem}_rgb.png")))?;
        self.depth
            .to_millimetres()
            .save(dir.join(format!("{stem}_depth.png")))?;
        let ids: ImageBuffer<Luma<u16>, Vec<u16>> = ImageBuffer::from_raw(
            self.instances.width,
            self.instances.height,
            self.instances.data.clone(),
        )
        .expect("instance data length matches its size");
        ids.save(dir.join(format!("{stem}_ids.png")))?;
        Ok(())
    }
}

impl DepthImage {
    /// 16-bit depth in millimetres: 0 where no geometry, geometry closer than 1 mm as 1, and
    /// depths beyond 65.535 m as 65535.
    pub fn to_millimetres(&self) -> ImageBuffer<Luma<u16>, Vec<u16>> {
        let data = self
            .data
            .iter()
            .map(|&metres| {
                if metres.is_finite() {
                    (metres * 1000.0).round().clamp(1.0, f32::from(u16::MAX)) as u16
                } else {
                    0
                }
            })
            .collect();
        ImageBuffer::from_raw(self.width, self.height, data)
            .expect("depth data length matches its size")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_millimetres_saturate_and_mark_background() {
        let depth = DepthImage {
            width: 4,
            height: 1,
            data: vec![f32::INFINITY, 1.2345, 70.0, 0.0001],
        };
        let millimetres = depth.to_millimetres();
        assert_eq!(millimetres.get_pixel(0, 0).0, [0]);
        assert_eq!(millimetres.get_pixel(1, 0).0, [1235]);
        assert_eq!(millimetres.get_pixel(2, 0).0, [u16::MAX]);
        assert_eq!(millimetres.get_pixel(3, 0).0, [1]);
    }
}
