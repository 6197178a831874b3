// Stub for the compile check only (README.md): signatures from the API reference.
package android.content;

import android.content.res.AssetManager;

public abstract class Context {
    public abstract Context getApplicationContext();
    public abstract AssetManager getAssets();
    public abstract ContentResolver getContentResolver();
    public final String getString(int resId) { throw new UnsupportedOperationException("stub"); }
    public final String getString(int resId, Object... formatArgs) { throw new UnsupportedOperationException("stub"); }
    public abstract int checkSelfPermission(String permission);
    public abstract void startActivity(Intent intent);
}
