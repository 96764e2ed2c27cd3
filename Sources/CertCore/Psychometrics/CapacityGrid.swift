/// The quadrature grid both estimators integrate over: θ from −9 to 9 in steps of 0.225
/// (81 points, DESIGN §3.3).
public enum CapacityGrid {
    public static let minimumCapacity = -9.0
    public static let maximumCapacity = 9.0
    public static let pointCount = 81
    public static let step = (maximumCapacity - minimumCapacity) / Double(pointCount - 1)
    public static let points: [Double] = (0..<pointCount).map { minimumCapacity + Double($0) * step }
}
